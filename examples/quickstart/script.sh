#!/bin/bash

#OAR -l core=1, walltime=6:00:00
#OAR -t besteffort
#OAR -t idempotent

python main.py  optimizer.lr=10.,1. seed=1,2
python main.py  model.num_units=100,200 seed=1,2
