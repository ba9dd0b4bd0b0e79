/* json.h - JSON files through cJSON: atomic save, load with one-line errors, printing,
 * and non-finite numbers written as null. */
#ifndef SB_JSON_H
#define SB_JSON_H

#include <cJSON.h>

#include "sb.h"

/* Write / read a JSON file (atomic write; the read returns SB_EUSAGE for a missing,
 * empty or malformed file). */
int sb_json_save(const char *path, const cJSON *j, sb_err *err);
int sb_json_load(const char *path, cJSON **out, sb_err *err);
/* Parse n bytes of text named name in messages: "empty", "nested deeper than ...", or
 * "name:LINE: not valid JSON (near byte B)". */
int sb_json_parse(const char *name, const char *text, size_t n, cJSON **out, sb_err *err);

/* J on stdout, indented, with a newline (nothing when out of memory). */
void sb_json_print(const cJSON *j);
/* K: V into object O, or K: null when V is not finite (a diverged or missing value). */
void sb_json_num_or_null(cJSON *o, const char *k, double v);

#endif
