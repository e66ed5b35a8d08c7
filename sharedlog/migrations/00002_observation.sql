-- The shared observation: the latest observed state of each environment, as
-- the cockpit that observed it last published it (opaque JSON to the
-- database).

-- +goose Up
CREATE TABLE cockpit_observation (
    env          text        PRIMARY KEY CHECK (length(env) BETWEEN 1 AND 256),
    observed_at  timestamptz NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    state        jsonb       NOT NULL
);

-- +goose Down
DROP TABLE cockpit_observation;
