/* SPDX-License-Identifier: GPL-2.0-only */
/* The golden corpora, embedded: sep-conform is one file to copy. */
	.section .rodata
	.globl conform_golden_6_1, conform_golden_6_1_end
	.globl conform_golden_6_12, conform_golden_6_12_end
	.globl conform_golden_7_3, conform_golden_7_3_end
conform_golden_6_1:
	.incbin GOLDEN_6_1
conform_golden_6_1_end:
	.byte 0
conform_golden_6_12:
	.incbin GOLDEN_6_12
conform_golden_6_12_end:
	.byte 0
conform_golden_7_3:
	.incbin GOLDEN_7_3
conform_golden_7_3_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
