/* stub: peer index and deadline heap (being split out of node.c) */
