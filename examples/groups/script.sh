#!/bin/bash

#SBATCH --time=10:00
#SBATCH --ntasks=1

python train.py model=mlp,linear dataset=blobs,moons
