#!/bin/bash
exec >/home/me/project/logs/2/log.stdout 2>/home/me/project/logs/2/log.stderr

cd /home/me/project
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
