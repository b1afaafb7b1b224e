#!/opt/drmaa-venv/bin/python
"""Submit one shell command through DRMAA, wait for it, print what DRMAA reports as JSON.

Test fixture of the drmaa Molecule scenario: the same library calls Galaxy's DRMAA runner makes
(drmaa.Session, runJob, wait). Usage: drmaa_job.py OUTPUT_FILE EXIT_CODE
"""

import json
import sys

import drmaa

output, code = sys.argv[1], int(sys.argv[2])
with drmaa.Session() as session:
    template = session.createJobTemplate()
    template.remoteCommand = "/bin/sh"
    template.args = ["-c", 'echo "hello from Slurm job $SLURM_JOB_ID"; exit %d' % code]
    template.outputPath = ":" + output
    template.joinFiles = True
    job_id = session.runJob(template)
    info = session.wait(job_id, 180)
    session.deleteJobTemplate(template)
    print(
        json.dumps(
            {
                "job_id": job_id,
                "has_exited": info.hasExited,
                "exit_status": info.exitStatus,
                "has_signal": info.hasSignal,
                "was_aborted": info.wasAborted,
                "drm_system": session.drmsInfo,
                "implementation": session.drmaaImplementation,
            }
        )
    )
