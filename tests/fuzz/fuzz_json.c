/* fuzz_json.c - libFuzzer harness for the strict JSON parser that reads
 * every JSON request body, catalog and stored document:
 * json_parse_strict() on any bytes.
 *
 * Properties: a refusal says why (a static detail, an offset inside the
 * input; for JSON_ERR_NUL the offset of the "\u0000" escape; for
 * JSON_ERR_TEXT the path of the string that is not text); an accepted
 * document is not null, holds only text (json_texts_valid), and
 * serialised with json-c it parses strictly again to an equal document
 * that serialises to the same text. */
#include "fuzz.h"

#include "buf.h"
#include "jsonx.h"

static const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_error e, e2;
	struct json_object *o, *o2;
	const char *s, *s2;
	size_t len, len2;
	char *copy;

	memset(&e, 0xa5, sizeof(e));
	o = json_parse_strict((const char *)data, size, &e);
	if (o == NULL) {
		FUZZ_ASSERT(e.kind == JSON_ERR_SYNTAX || e.kind == JSON_ERR_NUL ||
		    e.kind == JSON_ERR_NULL || e.kind == JSON_ERR_TEXT);
		FUZZ_ASSERT(memchr(e.where, '\0', sizeof(e.where)) != NULL);
		FUZZ_ASSERT(e.kind == JSON_ERR_TEXT || e.where[0] == '\0');
		FUZZ_ASSERT(e.detail != NULL && e.detail[0] != '\0');
		FUZZ_ASSERT(e.offset <= size);
		if (e.kind == JSON_ERR_NUL)
			FUZZ_ASSERT(e.offset + 6 <= size &&
			    memcmp(data + e.offset, "\\u0000", 6) == 0);
		return 0;
	}
	{
		struct buf where = { 0 };

		FUZZ_ASSERT(json_texts_valid(o, &where) == 0);
		buf_free(&where);
	}
	s = json_object_to_json_string_length(o, flags, &len);
	copy = fuzz_strndup(s, len);	/* exactly len bytes, as a body */
	o2 = json_parse_strict(copy, len, &e2);
	if (o2 == NULL)
		fprintf(stderr, "reparse of %s: %s at %zu\n", copy, e2.detail,
		    e2.offset);
	FUZZ_ASSERT(o2 != NULL);
	FUZZ_ASSERT(json_object_equal(o, o2));
	s2 = json_object_to_json_string_length(o2, flags, &len2);
	FUZZ_ASSERT(len2 == len && memcmp(s, s2, len) == 0);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			FUZZ_ASSERT(json_member(o, key) != NULL || val == NULL);
			(void)json_str_member(o, key, NULL);
			break;
		}
	}
	free(copy);
	json_object_put(o2);
	json_object_put(o);
	return 0;
}
