/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim eval: run the replays the command planned (eval.h,
 * hbsim_eval_run_t), spread over threads.
 *
 * The replays are independent: each has its own detector, reads the
 * trace and writes only its own result slots, and
 * hbt_qos_evaluate_levels() and the detectors keep no shared state. So
 * a pool of threads takes them one by one from a shared counter, and the
 * output does not depend on the number of threads or on which thread ran
 * what: a slot is always computed by one replay of its configuration at
 * its threshold, with the same arithmetic (the detector's state does not
 * depend on the other thresholds of the replay).
 *
 * Balance: a parameter sweep is one replay per point, plenty of units. A
 * threshold sweep is one replay for all its points, too coarse for two
 * threads when it is most of the work, so a replay is cut into parts of
 * at most ceil(slots / threads) thresholds; each part feeds the trace to
 * its own detector again (a heartbeat per arrival, the cheaper part of a
 * replay with crossings). With one thread nothing is cut. Units are taken
 * in plan order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/eval.h"
#include "tools/qos.h"

#define MAX_THREADS 64

typedef struct unit {
        size_t job, first, n;           /* slots first .. first + n - 1 */
        int err;                        /* hbt_qos_evaluate_levels() */
} unit_t;

typedef struct pool {
        const hbsim_eval_run_t *run;
        unit_t *units;
        size_t n_units;
        atomic_size_t next;             /* next unit to take */
} pool_t;

static void *worker(void *arg)
{
        pool_t *p = arg;
        const hbsim_eval_run_t *run = p->run;
        size_t i;

        while ((i = atomic_fetch_add(&p->next, 1)) < p->n_units) {
                unit_t *u = &p->units[i];

                u->err = hbt_qos_evaluate_levels(
                        &run->jobs[u->job].cfg, run->thr + u->first, u->n,
                        run->arr, run->n, run->crash_ns, run->end_ns,
                        run->td, run->res + u->first);
        }
        return NULL;
}

int hbsim_eval_run(const hbsim_eval_run_t *run, unsigned threads,
                   size_t *failed)
{
        pthread_t tid[MAX_THREADS - 1];
        size_t slots = 0, chunk, k = 0;
        unsigned started = 0;
        pool_t p = { .run = run };

        *failed = 0;
        if (threads > MAX_THREADS)
                threads = MAX_THREADS;
        if (threads < 1)
                threads = 1;
        for (size_t j = 0; j < run->n_jobs; j++)
                slots += run->jobs[j].n;
        chunk = threads > 1 ? (slots + threads - 1) / threads : slots;
        if (chunk < 1)
                chunk = 1;
        for (size_t j = 0; j < run->n_jobs; j++)
                p.n_units += (run->jobs[j].n + chunk - 1) / chunk;
        p.units = calloc(p.n_units, sizeof(*p.units));
        if (p.units == NULL)
                return -ENOMEM;
        for (size_t j = 0; j < run->n_jobs; j++) {
                const hbsim_eval_job_t *job = &run->jobs[j];

                for (size_t off = 0; off < job->n; off += chunk)
                        p.units[k++] = (unit_t){
                                .job = j,
                                .first = job->first + off,
                                .n = job->n - off < chunk ? job->n - off
                                                          : chunk,
                        };
        }
        atomic_init(&p.next, 0);
        if (threads > p.n_units)
                threads = (unsigned)p.n_units;
        /* A thread that cannot be started leaves its share to the
         * others: fewer threads, same results. */
        for (unsigned t = 1; t < threads; t++)
                if (pthread_create(&tid[started], NULL, worker, &p) == 0)
                        started++;
        worker(&p);
        for (unsigned t = 0; t < started; t++)
                pthread_join(tid[t], NULL);

        for (size_t i = 0; i < p.n_units; i++) {
                if (p.units[i].err < 0) {
                        int e = p.units[i].err;

                        *failed = p.units[i].job;
                        free(p.units);
                        return e;
                }
        }
        free(p.units);
        return 0;
}
