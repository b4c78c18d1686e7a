/* jsonx.c - small json-c helpers. */
#include "jsonx.h"

#include "clock.h"

void json_add_time(struct json_object *o, const char *key, int64_t t)
{
	char iso[32];

	json_object_object_add(o, key,
	    json_object_new_string(clock_iso(t, iso, sizeof(iso))));
}
