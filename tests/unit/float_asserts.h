/* SPDX-License-Identifier: MIT */
/*
 * cmocka assertions on doubles, printing both values to 17 digits:
 * assert_dbl_eq (bit-for-bit equal), assert_near (within an absolute
 * tolerance) and assert_nan. Include after <cmocka.h> and <math.h>.
 */
#ifndef HBEAT_TESTS_FLOAT_ASSERTS_H
#define HBEAT_TESTS_FLOAT_ASSERTS_H

#define assert_dbl_eq(a, b)                                                   \
        do {                                                                  \
                double a_ = (a), b_ = (b);                                    \
                if (!(a_ == b_)) {                                            \
                        print_error("%s = %.17g, expected exactly %.17g\n",   \
                                    #a, a_, b_);                              \
                        fail();                                               \
                }                                                             \
        } while (0)

#define assert_near(a, b, tol)                                                \
        do {                                                                  \
                double a_ = (a), b_ = (b);                                    \
                if (!(fabs(a_ - b_) <= (tol))) {                              \
                        print_error("%s = %.17g, expected %.17g (+-%g)\n",    \
                                    #a, a_, b_, (double)(tol));               \
                        fail();                                               \
                }                                                             \
        } while (0)

#define assert_nan(a)                                                         \
        do {                                                                  \
                double a_ = (a);                                              \
                if (!isnan(a_)) {                                             \
                        print_error("%s = %.17g, expected NAN\n", #a, a_);    \
                        fail();                                               \
                }                                                             \
        } while (0)

#endif
