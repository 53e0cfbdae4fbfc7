#!/bin/bash
#OAR -n logs/2
#OAR -E /root/logs/2/log.stderr
#OAR -O /root/logs/2/log.stdout
#OAR -l core=1, walltime=6:00:00
#OAR -t besteffort
#OAR -t idempotent

cd /root/workdir
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
