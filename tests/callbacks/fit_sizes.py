"""The size of every test fit (in a module of its own name: `from conftest
import ...` finds whichever conftest was imported last when several test
folders run together)."""

N_SAMPLES, BATCH = 64, 16
STEPS = N_SAMPLES // BATCH  # steps per epoch in every test fit
