-- The shared observation is signed by the cockpit that published it, as
-- journal records are: the operator it names, that operator's public key
-- and an ed25519 signature of the environment, the operator, observed_at
-- and the state's bytes. state becomes json (not jsonb) so its bytes are
-- kept as published and the signature can be checked on what a follower
-- reads; a row without a good signature by a key in team_keys is never
-- rendered. Columns are nullable: an unsigned row is allowed in, and
-- followers say "feed unverified: unsigned". Their sizes are bounded so a
-- forged row costs a follower little.

-- +goose Up
ALTER TABLE cockpit_observation
    ALTER COLUMN state TYPE json USING state::json,
    ADD COLUMN operator    text  CHECK (length(operator) <= 64),
    ADD COLUMN signing_key text  CHECK (length(signing_key) <= 128),
    ADD COLUMN signature   bytea CHECK (octet_length(signature) <= 128);

-- +goose Down
ALTER TABLE cockpit_observation
    DROP COLUMN signature,
    DROP COLUMN signing_key,
    DROP COLUMN operator,
    ALTER COLUMN state TYPE jsonb USING state::jsonb;
