#!/bin/bash
#OAR -n logs/2
#OAR -E /home/me/project/logs/2/log.stderr
#OAR -O /home/me/project/logs/2/log.stdout
#OAR -l core=1, walltime=6:00:00
#OAR -t besteffort
#OAR -t idempotent

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
