"""The desk's own side of a conversation, pure: bot menus (which choice leads where, how a
menu is drawn as buttons) and satisfaction ratings (when one may be asked and changed). The
store runs them inside the transaction that stores the customer's message.
"""
