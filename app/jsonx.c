/* jsonx.c - small json-c helpers. */
#include "jsonx.h"

#include "clock.h"

void json_add_time(struct json_object *o, const char *key, int64_t t)
{
	char iso[32];

	json_object_object_add(o, key,
	    json_object_new_string(clock_iso(t, iso, sizeof(iso))));
}

const char *json_str_member(struct json_object *o, const char *key, int *bad)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		if (bad != NULL)
			*bad = 1;
		return NULL;
	}
	return json_object_get_string(v);
}
