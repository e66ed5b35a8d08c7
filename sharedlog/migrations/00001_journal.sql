-- The shared timeline: every journal record of every cockpit, keyed by the
-- journal file it came from (origin) and its place in that file
-- (origin_offset), so publishing a record again never duplicates it. seq is
-- the timeline's order; an identity column needs no sequence grant.

-- +goose Up
CREATE TABLE cockpit_journal (
    seq           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    env           text        NOT NULL CHECK (length(env) BETWEEN 1 AND 256),
    origin        text        NOT NULL CHECK (length(origin) BETWEEN 1 AND 64),
    origin_offset bigint      NOT NULL CHECK (origin_offset >= 0),
    record        jsonb       NOT NULL,
    inserted_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env, origin, origin_offset)
);

CREATE INDEX cockpit_journal_env_seq ON cockpit_journal (env, seq);

-- +goose StatementBegin
CREATE FUNCTION cockpit_journal_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cockpit_journal', NEW.env);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cockpit_journal_notify
    AFTER INSERT ON cockpit_journal
    FOR EACH ROW EXECUTE FUNCTION cockpit_journal_notify();

-- +goose Down
DROP TABLE cockpit_journal;
DROP FUNCTION cockpit_journal_notify();
