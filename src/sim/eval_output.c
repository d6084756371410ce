/* stub: being written (output of hbeat-sim eval: text, JSON, CSV, gnuplot) */
