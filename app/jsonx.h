/* jsonx.h - small json-c helpers shared by the data layers. */
#ifndef PM_JSONX_H
#define PM_JSONX_H

#include <json-c/json.h>
#include <stdint.h>

/* The string member key of o, or NULL when o or the member is absent or
 * null. A member of another type reads NULL and sets *bad (when bad is not
 * NULL). */
const char *json_str_member(struct json_object *o, const char *key, int *bad);

/* Add t (epoch seconds) to o under key as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void json_add_time(struct json_object *o, const char *key, int64_t t);

#endif
