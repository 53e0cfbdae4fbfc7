#!/bin/bash
exec >/root/logs/2/log.stdout 2>/root/logs/2/log.stderr

cd /root/workdir
python main.py 'data.device=a b;touch PWNED' 'model.name=$(touch PWNED)`touch PWNED`' 'note=it'"'"'s "quoted" & done' mlxp.logger.forced_log_id=2
