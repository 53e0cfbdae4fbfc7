#!/bin/bash
#PBS -N logs/2
#PBS -e /home/me/project/logs/2/log.stderr
#PBS -o /home/me/project/logs/2/log.stdout
#PBS -l nodes=1:ppn=1
#PBS -l walltime=6:00:00
#PBS -q besteffort

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
