/* report.h: the deployment report (report.json and report.html).
 *
 * The report is one JSON document built from the verified graph and its
 * finished Plan (report_json.c): the layers, their tiles and L1 maps, DMA
 * bytes per level, modeled cycles with their calibration source, the L2
 * timeline, the L3 map, totals and the FLOAT->FIXED differences. The HTML
 * page is drawn from that document alone (report_html.c), so the page and
 * the JSON always agree and `dory report` can add a run's measurements
 * (report_run.c) without the model. Nothing here plans, and nothing here
 * writes C: it reads the Plan as the planner left it.
 */
#ifndef DORY_REPORT_H
#define DORY_REPORT_H

#include <cJSON.h>

#include "plan/plan.h"

/* The version of the report.json layout (docs/report.schema.json). */
#define REPORT_SCHEMA "dory-report/1"

/* FLOAT->FIXED on one layer: outputs of the test input that differ. */
typedef struct ReportDiff {
    const char *layer; /* node name */
    int64_t differ, total, worst;
} ReportDiff;

/* What the report says beside the plan. */
typedef struct ReportExtra {
    const ReportDiff *diff; /* NULL: no FLOAT->FIXED conversion happened */
    int ndiff;
    const char *input; /* the test input's description, or NULL */
} ReportExtra;

/* The report of plan p for graph g (NULL when out of memory). */
cJSON *report_build(const Graph *g, const Plan *p, const ReportExtra *x);

/* Writes report.json and report.html into `dir`; -1 and a diagnostic. */
int report_write_dir(const char *dir, const cJSON *r);
/* Writes the JSON or the HTML page to `path`; -1 and a diagnostic. */
int report_write_json(const char *path, const cJSON *r);
int report_write_html(const char *path, const cJSON *r);
/* The page as a string (malloc'd, the caller frees), NULL when out of memory. */
char *report_html(const cJSON *r);

/* Reads `dir`/report.json as dory wrote it; NULL and a diagnostic. */
cJSON *report_load(const char *dir);
/* Adds the per-layer measurements of a run of the application (the
 * harness's table, as `make run` or `make run-qemu` print it) to r:
 * per layer the measured count, its unit and the ratio to the model.
 * -1 and a diagnostic naming the file and line when the output is not a run
 * of this application. */
int report_merge_run(cJSON *r, const char *run_path);

#endif
