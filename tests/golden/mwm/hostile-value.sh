#!/bin/bash
#MSUB -N logs/2
#MSUB -e /home/me/project/logs/2/log.stderr
#MSUB -o /home/me/project/logs/2/log.stdout
#MSUB -l nodes=1:ppn=1
#MSUB -l walltime=6:00:00
#MSUB -q besteffort

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
