#!/bin/bash
#$ -N logs_2
#$ -e /home/me/project/logs/2/log.stderr
#$ -o /home/me/project/logs/2/log.stdout
#$ -pe smp 1
#$ -l h_rt=6:00:00
#$ -q besteffort.q

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
