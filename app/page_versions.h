/* page_versions.h - what other pages take from the version pages
 * (page_versions.c): the prompt page's versions table and compare form. */
#ifndef PM_PAGE_VERSIONS_H
#define PM_PAGE_VERSIONS_H

#include <json-c/json.h>

/* Prepare the prompt page's versions (from version_list, newest first) of
 * prompt p (from prompt_get) for its template: on each, the status flags
 * and what its promote / archive buttons say (see version_actions in
 * page_versions.c); in d, "diff_choices_a" and "diff_choices_b", the
 * version numbers of the compare form with the default pair selected
 * (production against the latest, or the two newest). versions stays the
 * caller's. */
void versions_table_data(struct json_object *d, struct json_object *p,
    struct json_object *versions);

#endif
