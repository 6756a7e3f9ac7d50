-- 0023: a message's tracked links are stored once per message, not once per recipient. Every
-- recipient of a message gets the same body with its own tokens, so the URLs and their positions
-- are the same for all of them; one row with an array replaces a row per link and recipient (a
-- 10-recipient message with 50 links wrote 500 rows, and each per-recipient copy its own insert).
-- `links` stays, as a view with the columns analysts know: one row per recipient and link.
CREATE TABLE message_links (
    message_id  uuid PRIMARY KEY,
    urls        text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO message_links (message_id, urls, created_at)
SELECT message_id, array_agg(url ORDER BY position), min(created_at)
FROM (SELECT DISTINCT ON (message_id, position) message_id, position, url, created_at
      FROM links ORDER BY message_id, position, created_at) AS one_per_position
GROUP BY message_id;

DROP TABLE links;

CREATE VIEW links AS
SELECT r.id AS recipient_id, u.position::integer AS position, r.message_id, u.url, l.created_at
FROM message_links l
JOIN recipients r ON r.message_id = l.message_id
CROSS JOIN LATERAL unnest(l.urls) WITH ORDINALITY AS u(url, position);

INSERT INTO waybill_daemon_grants VALUES
    ('waybill_milter', 'GRANT SELECT, INSERT ON message_links TO waybill_milter');

SELECT waybill_grant_daemon_roles();
