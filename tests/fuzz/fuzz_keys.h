/*
 * fuzz_keys.h — fixed keys of the token fuzzer, generated once for it and
 * used nowhere else: meetd's own RS256 and ES256 keys (and an HS256 secret),
 * an identity provider's JWK Set (P-256, RSA, Ed25519) and the private keys
 * the fuzzer signs with, so that the seeds' tokens stay valid and the
 * fuzzer can sign what it mutates. Test keys: never configure them.
 */
#ifndef MEETD_FUZZ_KEYS_H
#define MEETD_FUZZ_KEYS_H

static const char fuzz_hs_secret[] = "fuzz-only-hs256-secret-of-more-than-32-bytes";

static const char fuzz_rs_priv[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDYGOxfPq+UxzHB\n"
	"9yovoy/9Zu6bO5o7+sNQCuoCe20SJKenAnK/PF6kDR+kqYLlz7xER6eg73gSk+rt\n"
	"sX+5ce1ItgaX+UB3ooJlQAA/SUmJALm+qVDI0O0oCetcNYWcz0dPfsH2opOOe5Zn\n"
	"GarUvP9jeeThXXybbqccsfc8Vujyl+cdMy3cakCtEseeX1SyyE8tm4G6RxstCsCK\n"
	"hWh9iLY+8zkWIdmy7dJA11mkv25aN2918sn+GSDUGbve+hvo8w3vqx3FGcCHDzhq\n"
	"A5dsQGivz9gAsEN6fsrb91vzXI+ax19vac2sJAyeDFr1pHyp7/cjN/vrR71YVCDm\n"
	"qcmmES4nAgMBAAECggEAW0DzGCllheM0HN+d/e3ghxafbggWUnvLXJKvTQsH/SBj\n"
	"d8At6pm4sXglQ6idcSRvMTo9DFXzk4zJKUTKVepJNGpBkI2d7qc+fzkuoYr2NZeL\n"
	"2HqxdYvcigreS9sCKDzTtTsm91qiCwofcjxBioKhKkXAJHcQ9qYchZ6Vc/KTflVm\n"
	"FxZYBoq715QNPHbb4gi3QSXRE5QsNwORAlifGyHf65ftyoRPfJK7VbmattNHXu3N\n"
	"PzSEy0MzPFy4gLEzFVKBodDxNTwwJEaEU60HOacRY7qwXVYTS7Q3KQgGiUdrFqZ2\n"
	"yqseiWnBed6s8Q/uqeMCbICtJUrq82zAgZm9FdjiiQKBgQD7mgHHQ0RW0jbojw0b\n"
	"b/9fGSGcyXKos5uWUub/lAyQrgLw/ZN+J9WGEUKnbOVhVLbAHii/AKsXk9+fi0zD\n"
	"NmEIWmbMTkIZPmRKTAutFxQnAvjydG+DxtUGSv/2v2SoKA7q+H5UO0gcmpCl8V5r\n"
	"+n5w8OVNtDRzaBZMowZ9XfRkDQKBgQDb4AYzgERobp96cxo88+S5CtryEokPSq0m\n"
	"hJpC848B6VXMnqo4IBO4Nwvc3fLp5X7L18JPS6/RsrVMEp0iBhzscn1ty8iXMYR9\n"
	"aRhwqH8G9OODW0J5CDlXg1ksmRn83vrlLWP+YVNGlwXexk6+kp9uIcq5VY3jmZtN\n"
	"ptNm7RmKAwKBgFVTy5qac4jGThzctuNBPmgwC7gykZIpJ3D5uKGgwgonGZRFS0oT\n"
	"lFSdce95/OjfZAMPt13fiia63bIr+eKShKHils5fFAefoz+XPrZ7Bzibx3Xiixcz\n"
	"zXcO5HP4QNjOjRCfKajDWhdpS/kbPJx+HXeMGxgZL1icSkO/XioSPRnZAoGAFMK2\n"
	"Uy6NRv8K99jeZVryAbbQrYKqhlMavkRO/HtayWdqvoNMtzfwJLit2hDq2sLckgqx\n"
	"QiN3WmlxTNmFFK1XFcxJo5BWRFBcnirKL/j45YNB6Ck5wYvRPj4csWVTWtkC/5il\n"
	"lGNEJaok18AJt1zIyPFP3ugBGbhrPY2+8Dz66FkCgYEA0uLfSIWB3tGZ6/+IAH1y\n"
	"tid8PpmQ3fR0s7IoKYbkH5YPMmwTyxUvyoZGRA6R+XULKAK9a/bND2K0uAzCT+NA\n"
	"aNwc23yBHafZRNkefrWnZ5sWAJkPQ8VB77O7v2s+fHYIizvH0yiEfy1Ot7gAAXsL\n"
	"WI29gB1R7XJzp6CCIFm3wIs=\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_rs_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2BjsXz6vlMcxwfcqL6Mv\n"
	"/WbumzuaO/rDUArqAnttEiSnpwJyvzxepA0fpKmC5c+8REenoO94EpPq7bF/uXHt\n"
	"SLYGl/lAd6KCZUAAP0lJiQC5vqlQyNDtKAnrXDWFnM9HT37B9qKTjnuWZxmq1Lz/\n"
	"Y3nk4V18m26nHLH3PFbo8pfnHTMt3GpArRLHnl9UsshPLZuBukcbLQrAioVofYi2\n"
	"PvM5FiHZsu3SQNdZpL9uWjdvdfLJ/hkg1Bm73vob6PMN76sdxRnAhw84agOXbEBo\n"
	"r8/YALBDen7K2/db81yPmsdfb2nNrCQMngxa9aR8qe/3Izf760e9WFQg5qnJphEu\n"
	"JwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char fuzz_es_priv[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdAKePLM/0wLJN4bx\n"
	"KS9GWCo80qISpDu+V2/Dvf8apAehRANCAAScOTMPPe/2dLQ7LRLE+lTTPuY3afYz\n"
	"v1llznlIFwlfnOVMJ+oWt5nnfLYFoQQ6zEcPnPVcW7oF0pgvU5MVMxER\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_es_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnDkzDz3v9nS0Oy0SxPpU0z7mN2n2\n"
	"M79ZZc55SBcJX5zlTCfqFreZ53y2BaEEOsxHD5z1XFu6BdKYL1OTFTMREQ==\n"
	"-----END PUBLIC KEY-----\n";

static const char fuzz_idp_es_priv[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcipbTFSH8RAyxHVM\n"
	"bqUPTLMYJO5L4/79luSKC8h8C96hRANCAAT8N1SVN8kE8lQb8i0Kt5Dlwz5Zl8gN\n"
	"bNT74XAChaXC3ijtvjmVtpdmn9y82H2E508pYIGAxEI6/96Sq6vmf/oS\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_idp_rs_priv[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCy0cQ+UJ/x13EQ\n"
	"b8p6ENAR/u101hnves6mBlD5vSwT6SEERbemgQ+JpGQ1fL0rtCPtZI65qp76KHC5\n"
	"8rJ0mCSAE7nl1a6cnLudEaPnEP8BUB0+4bLUgRC/xguWml7sSWWFTt1eUjZR4dks\n"
	"IbBKZVaP66Ulh71URBtK20COmdAS7k/FNfXZk59S4y0J3VOxjg6hXD4yMZO54i7L\n"
	"EWO2PX7D5r3nm9qNhgPeMm9Fjwy+J+GG7MLJ6P+prcsgb0KcXPrZ8sTKkVogYv+J\n"
	"7VYB1hC0eGSaokJRcY4FNWY+Y3mRlnvCEIPIogL6n9T63PStLmBNgw3jUrGp7ZXH\n"
	"n4Hrt1aLAgMBAAECggEADDZypue5vwxrrsMOFkiMrDqKBVBmVupjwfV2VVJpii0m\n"
	"zS/TL+wPBBp2D5n4/Th8uj2oIXrLUTTltpe0rNre703OKWDKTX7rsZ5Mu+OcM37T\n"
	"caZ8DmmHm9A8nV/BzXUHPnhQDR1IbyozzaVwzDLNwAPa9IMn17yLVOyuEq8sc0+R\n"
	"W4fgio5Uj/to8KG74/S44loHiUhAILilX0HgGv/xDRtTfflD9f0yqNpPoXmjieWn\n"
	"wnlGpgx3TghH1DvQcWeUquhr+Q42b1nHrzGvSrT5Btwrg6q070chY4anPsR+1cRw\n"
	"HiXDub3inzGWvSlDpeKkblKyb8Z/7SER4XqNMHKr9QKBgQDjer3v+eP5XKXywRiD\n"
	"yRYPoEsPql7RCd2aEQ5QDePiHdVAjfr3SgFdFVo8xrqTLxNb7cmrEGK4gUVJi9kj\n"
	"fLPpRQxn5wBSY+XCoUGd+2+Ll9w++Pk4NW+WGtGjQkuT/G+dLKtJZefY/ctzGR0m\n"
	"BVo5uzfhlzYQ6/W7Mk46NtEjPQKBgQDJPTb+DNH4fhQXu2sMM3T8doNzgYxScLMm\n"
	"jfEF+H5gicrggTV6xk9BdgQM35rEv2UF1oV9SL7/xUbKIZmqbO7xwvPzCOukyzRf\n"
	"sFuRuyhknDI/8TjWfORbQhZfsNw2U6LI2UatTEJ3lITJjsR82rUUcl8hpf0t/EpU\n"
	"BorqKyldZwKBgClP2zq/yTU6LDEf/FHCrSz9UWRw7nNMNWCLhGvped9Qx6/HmTJb\n"
	"0E+VVyP+e1fLjtp9HsjgWu1jHLA0o6ScOxg8H/qmqxpLZiionIASb7mMRMVy9d/N\n"
	"ZIyAJl5d5dfkWmjS+fCEf0ybGt22S+Lhyfb+FzHzAjCkiaYLhsVvux+JAoGASGSV\n"
	"G99QyavRXpg1cjYwp4Ga2DqKWD3itMPrKNKz49at/QV+T6R3bn0eB+OIsa6IkQkT\n"
	"DHbW/vvg82YS+ZQmgSI4z/0tiCLxvFqdFlfVuBvYl9gXMlHLdGjZ06K0FXcQ4GAJ\n"
	"ZN5CKvJqsneBh8jFy405W8lywtA3jPKtln/gaZECgYEA02eLZyFR6ty5hWdYRKis\n"
	"L14o/ERBABU1cDgwV0w8w0bRydkbYdgMu6mU5eb+XS/Xjbn8nqaspXmhukINOT0G\n"
	"6kaw56K8qs7V9Gb1bF1P5lsBLL0X5KRHkkxBD5X/yvTNPKd3vHQtDPFXQiGwpCEq\n"
	"DeQO6mSyHt0zbvIBitE2gK4=\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_idp_ed_priv[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEINNQksVL2bGDoZGs547VkvgP+M7lym/aPAwbPr1Inb3J\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_jwks[] =
	"{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"idp-es\", \"use\": \"sig\", \"x\": \"_DdUlTfJBPJUG"
	"_ItCreQ5cM-WZfIDWzU--FwAoWlwt4\", \"y\": \"KO2-OZW2l2af3LzYfYTnTylggYDEQjr_3pKrq-Z_-hI\"}, {\"kt"
	"y\": \"RSA\", \"kid\": \"idp-rs\", \"alg\": \"RS256\", \"n\": \"stHEPlCf8ddxEG_KehDQEf7tdNYZ73rOpgZQ-b0s"
	"E-khBEW3poEPiaRkNXy9K7Qj7WSOuaqe-ihwufKydJgkgBO55dWunJy7nRGj5xD_AVAdPuGy1IEQv8YLlppe7EllhU"
	"7dXlI2UeHZLCGwSmVWj-ulJYe9VEQbSttAjpnQEu5PxTX12ZOfUuMtCd1TsY4OoVw-MjGTueIuyxFjtj1-w-a955va"
	"jYYD3jJvRY8MvifhhuzCyej_qa3LIG9CnFz62fLEypFaIGL_ie1WAdYQtHhkmqJCUXGOBTVmPmN5kZZ7whCDyKIC-p"
	"_U-tz0rS5gTYMN41Kxqe2Vx5-B67dWiw\", \"e\": \"AQAB\"}, {\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \""
	"idp-ed\", \"x\": \"8EEivgNZ8zcUUJCBuhwKj9BRWJmlFEP_TIal4xBr8SY\"}]}";

#endif
