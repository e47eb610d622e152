"""Where an ASC MHL history lives in a tree: a folder of this name at the tree's root.

A module of its own so that a look for a history (``offload.card_history``, before a card
is copied) needs none of the history's reader.
"""

ASCMHL_FOLDER = "ascmhl"
