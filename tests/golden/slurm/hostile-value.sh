#!/bin/bash
#SBATCH --job-name=logs/2
#SBATCH --error=/home/me/project/logs/2/log.stderr
#SBATCH --output=/home/me/project/logs/2/log.stdout
#SBATCH --ntasks=1
#SBATCH --time=6:00:00
#SBATCH --qos=besteffort

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
