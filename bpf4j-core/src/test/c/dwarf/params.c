/* A DWARF fixture for DwarfTest: functions whose parameters are of each kind of type the reader models. */
typedef unsigned long size_type;

struct node {
    int value;
    char name[10];
    short pair[3];
    unsigned int flag : 3, mode : 5;
    struct node *next;
};

union word {
    int i;
    float f;
};

int take(int *n, char c, const char *text, struct node *head, size_type len, union word w, char **argv)
{
    return *n + c + text[0] + head->value + (int) len + w.i + (argv != 0);
}

int main(int argc, char **argv)
{
    int n = 1;
    struct node head = {.value = 2};
    union word w = {.i = 3};
    return take(&n, 'x', "t", &head, 4, w, argv) - argc;
}
