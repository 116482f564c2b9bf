"""The online public notice (互联网+监督): exit cases in their notice period, published with no
sign-in; villagers' objections lodged there, with a receipt; and the proof the list was not changed."""
