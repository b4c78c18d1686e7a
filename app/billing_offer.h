/* billing_offer.h - plans in words and the way up, for every page that
 * shows a plan or says that a plan limit was reached.
 *
 * Upgrade is one click away from any such page: a handler calls
 * billing_offer(r, d) and its template includes {{>partials/upgrade}},
 * which shows a one-click "Upgrade to <plan>" form (a Checkout Session is
 * made by POST /billing/checkout), a link to /billing when the user
 * already subscribes, or a link to the plans when billing is off. A
 * sentence or link that cannot hold a form points at BILLING_UPGRADE_URL
 * (GET /upgrade: the next plan and its button). The past_due notice of
 * every page is billing_notice(), called by page_data().
 *
 * Web layer (uses struct req); the billing decisions are billing.h's.
 */
#ifndef PM_BILLING_OFFER_H
#define PM_BILLING_OFFER_H

#include <json-c/json.h>

#include "plans.h"

struct req;

/* The one address of "upgrade" for links and sentences. */
#define BILLING_UPGRADE_URL	"/upgrade"

/* What p includes, in sentences of the catalog (pricing.*): a new array
 * of strings the caller owns. */
json_object *billing_plan_lines(const struct plan *p);
/* The public plans' limits side by side: {"head": [plan names], "rows":
 * [{"label", "cells": [text]}]} with the rows in which the plans differ.
 * Returns a new object the caller owns, or NULL when there is no
 * catalog. */
json_object *billing_plan_table(struct req *r);
/* Add "upgrade" to page data d: the next public plan above the user's
 * that can be bought ({code, name, price, per_seat, seats} and one of
 * checkout (a one-click form to a Checkout Session), change (a one-click
 * form moving the subscription to it) or href (sign up; the plans when
 * billing is off)), or nothing when there is none. */
void billing_offer(struct req *r, json_object *d);
/* Add "billing_notice" to d when a payment of the signed-in user failed
 * and the plan is kept until the grace period ends (and end it when the
 * grace period is over). */
void billing_notice(struct req *r, json_object *d);
/* The user's plan (plan_of() of the request's user): 0 with p (caller
 * frees), or an error. */
int billing_user_plan(struct req *r, struct plan *p);

#endif
