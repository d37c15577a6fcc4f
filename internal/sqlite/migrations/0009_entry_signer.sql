-- Audit entries name the signer they are about (CONTRACT.md §8): '' for
-- entries about the session as a whole, and for every earlier entry.
ALTER TABLE audit_entries ADD COLUMN signer_id TEXT NOT NULL DEFAULT '';
