#!/bin/bash
#BSUB -J logs/2
#BSUB -e /home/me/project/logs/2/log.stderr
#BSUB -o /home/me/project/logs/2/log.stdout
#BSUB -n 1
#BSUB -W 6:00
#BSUB -q besteffort

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
