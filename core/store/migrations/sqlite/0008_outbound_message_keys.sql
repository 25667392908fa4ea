-- An outbound message's external_id is keyed apart from inbound ones:
-- "outbound:" and the vendor's id. A vendor may number its two directions
-- apart (a shop's replies and its customers' messages in tables of their
-- own); sharing (connector, account, external_id), a buyer message whose id
-- was that of an earlier reply was taken for it and never stored.
UPDATE messages SET external_id = 'outbound:' || external_id
WHERE direction = 'outbound' AND external_id IS NOT NULL;
