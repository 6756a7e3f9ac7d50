-- A copy is confirmed when the copy listener answered 250 for it. When that answer was lost and
-- only the copy's own milter pass had accepted it, the row says confirmed = false: Postfix may have
-- stopped between that pass and committing the queue file, so a retry of the same transaction
-- sends the copy again (at worst twice, never lost), while a transaction that went on to succeed
-- needs nothing more.
ALTER TABLE message_copies ADD COLUMN confirmed boolean NOT NULL DEFAULT true;
