#!/bin/bash
# The GTN tutorial's batch test: where the job ran, the load there, then 30 seconds to watch it in squeue.
uname -a
uptime
sleep 30
