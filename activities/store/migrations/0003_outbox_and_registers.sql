-- Plan deliveries waiting for the MedCom / Digital Post sender, and the municipal registers.

CREATE TABLE outbox (
    message_id uuid        PRIMARY KEY,
    case_id    text        NOT NULL,
    recipient  text        NOT NULL CHECK (recipient IN ('patient', 'gp', 'municipality')),
    address    text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    -- A case's plan goes to each recipient once, however often the delivery activity is retried.
    CONSTRAINT outbox_case_recipient_key UNIQUE (case_id, recipient)
);

-- What the sender polls: the unsent messages, oldest first.
CREATE INDEX outbox_unsent_idx ON outbox (created_at) WHERE sent_at IS NULL;

CREATE TABLE municipalities (
    code                 text        PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
    name                 text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- The contact deadline of the local sundhedsaftale, in working days.
    contact_working_days integer     NOT NULL CHECK (contact_working_days BETWEEN 1 AND 30),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE providers (
    provider_id       text        PRIMARY KEY CHECK (char_length(provider_id) BETWEEN 1 AND 100),
    -- Not a foreign key: a citizen may choose another municipality's own institution, which need not
    -- be in this municipality register.
    municipality_code text        NOT NULL CHECK (municipality_code ~ '^[0-9]{3}$'),
    name              text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- The values of workflows.domain.model.ProviderKind.
    kind              text        NOT NULL CHECK (kind IN ('own', 'contracted', 'other_municipality')),
    active            boolean     NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX providers_municipality_idx ON providers (municipality_code, name);
