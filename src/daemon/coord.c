/* stub: coordination side of hbeatd (being split out of daemon.c) */
