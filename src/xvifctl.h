/*
 * xvifctl.h -- xvifctl's printers (xvifctl_fmt.c): the records of a reply
 * (ctl.h) as text, JSON or the Prometheus text format.
 */
#ifndef XVIF_XVIFCTL_H
#define XVIF_XVIFCTL_H

#include <stdio.h>

#include "ctl.h"

enum xc_format { XC_TEXT, XC_JSON, XC_PROMETHEUS, XC_BOTH };

void	xc_print(FILE *, enum ctl_cmd, enum xc_format,
	    const struct ctl_rec *, unsigned int n);

#endif
