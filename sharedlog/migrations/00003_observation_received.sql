-- The shared observation is ordered and aged by the database's own clock:
-- received_at is stamped by a trigger at every write (clock_timestamp(),
-- whatever the writer sent, and only the owner can drop the trigger), so a
-- row dated in the future by its publisher's clock (a laptop running ahead,
-- or a forged row dated 2099) neither outranks the rounds written after it
-- nor reads as fresh. observed_at stays as the publisher's data.

-- +goose Up
ALTER TABLE cockpit_observation ADD COLUMN received_at timestamptz NOT NULL DEFAULT clock_timestamp();

-- +goose StatementBegin
CREATE FUNCTION cockpit_observation_received() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.received_at := clock_timestamp();
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cockpit_observation_received
    BEFORE INSERT OR UPDATE ON cockpit_observation
    FOR EACH ROW EXECUTE FUNCTION cockpit_observation_received();

-- +goose Down
DROP TRIGGER cockpit_observation_received ON cockpit_observation;
DROP FUNCTION cockpit_observation_received();
ALTER TABLE cockpit_observation DROP COLUMN received_at;
