# Ports of the test servers, all on loopback. Sourced by the testenv scripts and read by the tests.
IRC_PORT=16667
IRC_TLS_PORT=16697
IRC_LINK_PORT=17000
SSH_PORT=22022
SSH_REKEYED_PORT=22023
# The "rebootable host": its fake reboot takes its sshd down for ~/control/reboot.delay seconds (default 3).
SSH_REBOOT_PORT=22024
SSH_DEAD_PORT=22029
ACCOUNT_PASSWORD=opsbot-test-pw
# One state dir per machine (keys, certificates, pid files, services database), whichever clone runs:
# a server left running by another checkout is still found and stopped.
RUN_DIR=/var/tmp/opsbot-testenv
