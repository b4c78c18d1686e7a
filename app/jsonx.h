/* jsonx.h - small json-c helpers shared by the data layers. */
#ifndef PM_JSONX_H
#define PM_JSONX_H

#include <json-c/json.h>
#include <stdint.h>

/* Add t (epoch seconds) to o under key as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void json_add_time(struct json_object *o, const char *key, int64_t t);

#endif
