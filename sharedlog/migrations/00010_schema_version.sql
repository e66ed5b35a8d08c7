-- cockpit_schema_version is the schema's version for the roles that use the
-- tables without owning them: an operating or watching cockpit checks it
-- when it starts, and never migrates (goose's table is the owner's). It
-- says only a number, so every role may read it. Numbered with a gap:
-- migrations added beside it on other branches take 00003 onwards.

-- +goose Up
CREATE VIEW cockpit_schema_version AS
    SELECT coalesce(max(version_id), 0) AS version FROM cockpit_goose_version WHERE is_applied;
GRANT SELECT ON cockpit_schema_version TO PUBLIC;

-- +goose Down
DROP VIEW cockpit_schema_version;
