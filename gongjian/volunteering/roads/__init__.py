"""Road chiefs (路长制): road segments, their chiefs, patrol logs from a phone, patrol reports the community solves or turns
into matters."""
