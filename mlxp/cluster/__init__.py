"""The cluster side of mlxp: from a job script to submitted, followed jobs.

Its modules, in the order a submission goes through them (each takes the result of the one
before and imports none that comes after it):

1. ``jobscript``  a job script taken apart (``mlxpsub script.sh``), without running it
2. ``plan``       sweep points -> :class:`~mlxp.cluster.jobs.Job` (run id, job script)
3. ``scripts``    jobs -> single jobs and array jobs, each with its script
4. ``rundirs``    the run directories written: ``script.sh``, ``metadata/``, ``info.yaml``
5. ``submit``     jobs handed to their scheduler, their ids recorded in ``info.yaml``
6. ``runs``, ``status``, ``rerun``  the runs found again: their jobs' states, cancel, rerun

``jobs`` holds the Job that goes from step to step, ``schedulers/`` the backends, and
``mlxpsub`` the command. Nothing here is imported by ``import mlxp``: the launcher loads
``submit`` only in submit mode.
"""
