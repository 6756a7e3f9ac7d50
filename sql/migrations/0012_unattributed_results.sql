-- 0012: what the bounce domain received but could not tie to one of our recipients.
-- A bounce, complaint or mailto unsubscribe changes an event, a recipient's status or a
-- suppression only when it is attributed to a row of `recipients` (a valid VERP token for that
-- recipient, or a Message-ID of ours plus an address of that message). Everything else is kept in
-- pipe_messages with the reason in its classification and changes nothing; this view lists it,
-- one row per result (or per unsubscribe mail):
--   why: no_address | address_too_long | token_names_another_recipient | no_token_no_message_id |
--        message_id_not_ours | not_a_recipient_of_that_message | no_token | invalid_token
--   SELECT why, count(*) FROM unattributed_results WHERE received_at > now() - interval '1 day' GROUP BY 1;

CREATE VIEW unattributed_results AS
SELECT pm.id AS pipe_message_id,
       pm.received_at,
       pm.kind,
       pm.envelope_recipient,
       result.value ->> 'recipient' AS claimed_recipient,
       result.value ->> 'action' AS action,
       pm.classification ->> 'token' AS token,
       result.value ->> 'unattributed' AS why
FROM pipe_messages pm
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(pm.classification -> 'results') = 'array' THEN pm.classification -> 'results'
         ELSE '[]'::jsonb END) AS result(value)
WHERE result.value ? 'unattributed'
UNION ALL
SELECT pm.id, pm.received_at, pm.kind, pm.envelope_recipient, NULL, 'unsubscribe',
       pm.classification ->> 'token', pm.classification ->> 'unattributed'
FROM pipe_messages pm
WHERE jsonb_typeof(pm.classification -> 'unattributed') = 'string';
