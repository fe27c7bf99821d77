/* Functions whose arguments bpf4j bt reads by name from this binary's DWARF (built with gcc -g -O0). */
struct Point {
    int x;
    char label[8];
    short steps[3];
};

__attribute__((noinline)) int measure(int *n, char c, struct Point *p)
{
    return *n + c + p->x;
}

int main(void)
{
    int n = 13;
    struct Point p = {.x = -42, .label = "origin", .steps = {1, 2, 3}};
    return measure(&n, 'x', &p) == 0;
}
