/* stub: SIGHUP reload (being split out of daemon.c) */
