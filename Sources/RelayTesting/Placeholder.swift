// placeholder until the testing module lands
