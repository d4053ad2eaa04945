# Ports of the test servers, all on loopback. Sourced by the testenv scripts; the tests read testenv/run/env.
IRC_PORT=16667
IRC_TLS_PORT=16697
IRC_LINK_PORT=17000
SSH_PORT=22022
SSH_REKEYED_PORT=22023
SSH_DEAD_PORT=22029
ACCOUNT_PASSWORD=opsbot-test-pw
