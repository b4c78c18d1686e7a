/* page_site.c - public pages and the signed-in shell's sections. */
#include "handlers.h"
#include "http.h"

void h_home(struct req *r)
{
	resp_page(r, 200, "home", page_data(r, "home"));
}

void h_dashboard(struct req *r)
{
	resp_page(r, 200, "dashboard", page_data(r, "dashboard"));
}

void h_analytics(struct req *r)
{
	resp_page(r, 200, "analytics", page_data(r, "analytics"));
}

