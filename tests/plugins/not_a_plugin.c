/* A shared object with no Berth descriptor: the host must refuse it without running it. */
int not_a_plugin_answer(void) { return 42; }
